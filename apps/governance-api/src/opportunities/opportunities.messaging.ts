import { Injectable } from '@nestjs/common';
import { type CreateOpportunityDto, Subjects } from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { OpportunitiesService } from './opportunities.service';

/** `juggernaut.opportunity.create.v1`: the same use case as `POST /api/v1/opportunities`, for services. */
@Injectable()
export class OpportunitiesMessaging {
  constructor(private readonly opportunities: OpportunitiesService) {}

  @Respond(Subjects.opportunityCreate)
  create(payload: CreateOpportunityDto) {
    return this.opportunities.create(payload);
  }
}
